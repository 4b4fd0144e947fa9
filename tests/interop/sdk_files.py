"""The official Databricks Python SDK, unchanged, against `databricks-grpc
emulator` for the file stores UploadLibrary writes to: the Files API on a
Unity Catalog volume (files.upload / download / get_metadata /
list_directory_contents / delete), DBFS (dbfs.upload / download of 3 MB, in
1 MB blocks) and workspace files (workspace.upload, the multipart import).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile

# Nothing from this machine may configure the SDK (see databricks_sdk_check.py).
for _name in [n for n in os.environ if n.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_"))
              and n != "DATABRICKS_GRPC_BIN"]:
    del os.environ[_name]
_HOME = tempfile.mkdtemp(prefix="interop-sdk-files-home-")
os.environ["HOME"] = _HOME

from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402
from databricks.sdk.errors import DatabricksError  # noqa: E402
from databricks.sdk.service.workspace import ImportFormat, ObjectType  # noqa: E402
from databricks.sdk.version import __version__ as SDK_VERSION  # noqa: E402

import common  # noqa: E402
from common import check, say, step  # noqa: E402

VOLUME = "/Volumes/main/default/libs"


def client(host: str, token: str) -> WorkspaceClient:
    cfg = Config(host=host, token=token, auth_type="pat", http_timeout_seconds=10, retry_timeout_seconds=20)
    return WorkspaceClient(config=cfg)


def main() -> None:
    say(f"databricks-sdk {SDK_VERSION}; HOME={_HOME}")
    server = common.start_emulator("sdk-files-emulator", ["--library-step", "0s"])
    w = client(server.banner.host, server.banner.token)

    jar = bytes(range(256)) * 4096  # 1 MiB
    path = f"{VOLUME}/sdk jars/etl-1.4.0.jar"  # a space: the SDK percent-encodes it
    step("files.upload to a volume")
    w.files.upload(path, io.BytesIO(jar), overwrite=True)

    step("files.get_metadata")
    meta = w.files.get_metadata(path)
    say(f"get_metadata -> content_length={meta.content_length} content_type={meta.content_type} "
        f"last_modified={meta.last_modified}")
    check(meta.content_length == len(jar), f"content_length {meta.content_length} != {len(jar)}")
    check(meta.last_modified, "last_modified should be set")

    step("files.download")
    got = w.files.download(path).contents.read()
    check(hashlib.sha256(got).hexdigest() == hashlib.sha256(jar).hexdigest(), "downloaded bytes differ")

    step("files.list_directory_contents")
    entries = list(w.files.list_directory_contents(f"{VOLUME}/sdk jars"))
    say(f"list_directory_contents -> {[(e.name, e.file_size, e.is_directory) for e in entries]}")
    check([e.name for e in entries] == ["etl-1.4.0.jar"], f"unexpected listing: {entries}")
    check(entries[0].file_size == len(jar), f"file_size {entries[0].file_size}")

    step("files.upload with overwrite=False on an existing file")
    try:
        w.files.upload(path, io.BytesIO(b"x"), overwrite=False)
        raise common.CheckFailed("overwrite=False should have been refused")
    except DatabricksError as err:
        say(f"refused: {type(err).__name__} error_code={err.error_code!r} {err}")
        check(err.error_code == "ALREADY_EXISTS", f"error_code {err.error_code!r}")

    step("files.delete")
    w.files.delete(path)
    try:
        w.files.get_metadata(path)
        raise common.CheckFailed("the deleted file still has metadata")
    except DatabricksError as err:
        say(f"after delete: {type(err).__name__} {err}")
        check(type(err).__name__ in ("NotFound", "ResourceDoesNotExist"), f"{type(err).__name__}")

    step("files.upload to a volume that does not exist")
    try:
        w.files.upload("/Volumes/main/default/nope/a.jar", io.BytesIO(b"x"), overwrite=True)
        raise common.CheckFailed("an unknown volume should be refused")
    except DatabricksError as err:
        say(f"refused: {type(err).__name__} {err}")
        check(type(err).__name__ in ("NotFound", "ResourceDoesNotExist"), f"{type(err).__name__}")

    three_mb = os.urandom(3 * 1000 * 1000)
    step("dbfs.upload of 3 MB (create / add-block / close)")
    w.dbfs.upload("dbfs:/sdk/three.bin", io.BytesIO(three_mb), overwrite=True)
    status = w.dbfs.get_status("dbfs:/sdk/three.bin")
    say(f"get_status -> {status.as_dict()}")
    check(status.file_size == len(three_mb), f"file_size {status.file_size}")

    step("dbfs.download of 3 MB")
    with w.dbfs.download("dbfs:/sdk/three.bin") as reader:
        back = reader.read()
    check(back == three_mb, f"downloaded {len(back)} bytes, not the 3 MB uploaded")

    step("workspace.upload (multipart import, format AUTO)")
    w.workspace.mkdirs("/Workspace/Shared/sdk")
    w.workspace.upload("/Workspace/Shared/sdk/requirements.txt", io.BytesIO(b"simplejson==3.19.2\n"),
                       format=ImportFormat.AUTO, overwrite=True)
    info = w.workspace.get_status("/Workspace/Shared/sdk/requirements.txt")
    say(f"get_status -> {info.as_dict()}")
    check(info.object_type == ObjectType.FILE, f"object_type {info.object_type}")
    listed = [o.path for o in w.workspace.list("/Workspace/Shared/sdk")]
    check(listed == ["/Workspace/Shared/sdk/requirements.txt"], f"workspace.list -> {listed}")


def run() -> None:
    try:
        main()
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    common.run_check("sdk_files", run)
