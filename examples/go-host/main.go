// Command go-host is a HashiCorp go-plugin host for databricks-grpc: what a
// Terraform or Pulumi provider backend written in Go does to use it.
//
// It launches the plugin (AutoMTLS on by default), dispenses a
// ComputeService client generated from our proto, installs a library on the
// emulator's running cluster, watches it settle, reads ClusterStatus, runs
// one Python command, then calls Kill(), which asks the plugin to shut down.
//
// Build instructions: examples/go-host/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	computepb "databricks-grpc.example/computepb"
	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is what provider code copies: it must match the plugin's
// constants (databricks_grpc::plugin::{PROTOCOL_VERSION, COOKIE_KEY, COOKIE_VALUE}).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "DATABRICKS_GRPC_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "a517db5142eb03a8cfeecdbd61505a8391540e8a65d7de2c308bb4bbb294b1a7",
}

// ComputePlugin hands out a ComputeService client over the plugin's gRPC
// connection. The server side is the Rust binary, so GRPCServer is unused.
type ComputePlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

// GRPCServer is never called on the host side.
func (ComputePlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the plugin side is the databricks-grpc binary")
}

// GRPCClient wraps the connection go-plugin made (TLS under AutoMTLS).
func (ComputePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return computepb.NewComputeServiceClient(conn), nil
}

const runningCluster = "0101-120000-running1" // seeded by --emulator

func main() {
	binary := flag.String("plugin", envOr("DATABRICKS_GRPC_BIN", "databricks-grpc"), "path to the databricks-grpc binary")
	autoMTLS := flag.Bool("automtls", true, "mutual TLS between host and plugin (Terraform's default)")
	pluginArgs := flag.String("args", "plugin --emulator --library-step 0s", "arguments for the plugin binary")
	jsonLog := flag.Bool("json-log", false, "host log as JSON lines (otherwise hclog text)")
	flag.Parse()

	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "host",
		Level:      hclog.LevelFromString(envOr("HOST_LOG_LEVEL", "debug")),
		Output:     os.Stderr,
		JSONFormat: *jsonLog,
	})
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          map[string]plugin.Plugin{"compute": &ComputePlugin{}},
		Cmd:              exec.Command(*binary, strings.Fields(*pluginArgs)...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         *autoMTLS,
		Logger:           logger,
		Stderr:           io.Discard, // the lines also reach Logger, parsed
	})
	defer client.Kill() // also on early returns: never leave the plugin running

	if err := run(client); err != nil {
		logger.Error("host failed", "error", err)
		client.Kill()
		os.Exit(1)
	}
}

func run(client *plugin.Client) error {
	rpcClient, err := client.Client() // launches the plugin, reads its handshake
	if err != nil {
		return fmt.Errorf("starting the plugin: %w", err)
	}
	raw, err := rpcClient.Dispense("compute")
	if err != nil {
		return fmt.Errorf("dispensing: %w", err)
	}
	compute := raw.(computepb.ComputeServiceClient)
	reattach := client.ReattachConfig()
	fmt.Printf("plugin pid=%d network=%s address=%s\n", reattach.Pid, reattach.Addr.Network(), reattach.Addr.String())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := installAndWatch(ctx, compute); err != nil {
		return err
	}
	status, err := compute.ClusterStatus(ctx, &computepb.ClusterStatusRequest{ClusterId: runningCluster})
	if err != nil {
		return fmt.Errorf("ClusterStatus: %w", err)
	}
	for _, library := range status.LibraryStatuses {
		fmt.Printf("ClusterStatus: %s %s\n", describe(library.Library), library.Status)
	}
	if err := runPython(ctx, compute); err != nil {
		return err
	}

	client.Kill() // GRPCController/Shutdown, then waits for the process to exit
	fmt.Printf("after Kill: exited=%v process_gone=%v socket_gone=%v\n",
		client.Exited(), processGone(reattach.Pid), socketGone(reattach))
	return nil
}

func installAndWatch(ctx context.Context, compute computepb.ComputeServiceClient) error {
	library := &computepb.Library{Kind: &computepb.Library_Pypi{Pypi: &computepb.PythonPyPiLibrary{Package: "simplejson==3.19.2"}}}
	if _, err := compute.Install(ctx, &computepb.InstallRequest{ClusterId: runningCluster, Libraries: []*computepb.Library{library}}); err != nil {
		return fmt.Errorf("Install: %w", err)
	}
	stream, err := compute.WatchClusterStatus(ctx, &computepb.WatchClusterStatusRequest{ClusterId: runningCluster})
	if err != nil {
		return fmt.Errorf("WatchClusterStatus: %w", err)
	}
	for {
		update, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("WatchClusterStatus stream: %w", err)
		}
		fmt.Printf("WatchClusterStatus: settled=%v %s\n", update.Settled, update.Message)
	}
}

// runPython runs a command in a context the server manages and prints the
// pid of the emulator's Python process, so a test can check Kill() ends it.
func runPython(ctx context.Context, compute computepb.ComputeServiceClient) error {
	started, err := compute.ExecuteCommand(ctx, &computepb.ExecuteCommandRequest{
		ClusterId: runningCluster, Language: computepb.Language_LANGUAGE_PYTHON,
		Command: "import os; print(os.getpid())",
	})
	if err != nil {
		return fmt.Errorf("ExecuteCommand: %w", err)
	}
	stream, err := compute.StreamCommandStatus(ctx, &computepb.StreamCommandStatusRequest{
		ClusterId: runningCluster, ContextId: started.ContextId, CommandId: started.CommandId,
	})
	if err != nil {
		return fmt.Errorf("StreamCommandStatus: %w", err)
	}
	var last *computepb.Command
	for {
		update, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("StreamCommandStatus stream: %w", err)
		}
		last = update.Command
	}
	if last == nil || last.Outcome != computepb.CommandOutcome_COMMAND_OUTCOME_SUCCEEDED {
		return fmt.Errorf("the command did not succeed: %v", last)
	}
	fmt.Printf("context process pid=%s\n", strings.TrimSpace(last.Results.GetText().GetText()))
	return nil
}

func describe(library *computepb.Library) string {
	if pypi := library.GetPypi(); pypi != nil {
		return "pypi:" + pypi.Package
	}
	if jar := library.GetJar(); jar != "" {
		return "jar:" + jar
	}
	return fmt.Sprint(library.Kind)
}

func processGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

func socketGone(reattach *plugin.ReattachConfig) bool {
	if reattach.Addr.Network() != "unix" {
		return true
	}
	_, err := os.Stat(reattach.Addr.String())
	return os.IsNotExist(err)
}

func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}
