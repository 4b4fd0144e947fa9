# The configuration tests/interop/terraform.sh applies (and the README's
# example): one cluster, one versioned jar in a volume, the cluster's
# libraries (that jar and a PyPI package), and both data sources. The script
# sets the variables through TF_VAR_*.

terraform {
  required_providers {
    dbgrpc = {
      source = "example.com/dbgrpc/dbgrpc"
    }
  }
}

variable "host" {
  description = "Workspace URL; http:// is accepted for loopback only (the emulator)."
  type        = string
}

variable "token" {
  description = "Personal access token."
  type        = string
  sensitive   = true
}

variable "jar" {
  description = "Local path of the jar to upload."
  type        = string
}

variable "restart" {
  description = "Restart policy of the cluster libraries: never or if_needed."
  type        = string
  default     = "never"
}

provider "dbgrpc" {
  host  = var.host
  token = var.token
}

resource "dbgrpc_cluster" "etl" {
  cluster_name            = "tf-interop"
  spark_version           = "15.4.x-scala2.12"
  node_type_id            = "i3.xlarge"
  num_workers             = 1
  autotermination_minutes = 30
  custom_tags = {
    owner = "terraform"
  }
}

resource "dbgrpc_library_file" "etl_jar" {
  source    = var.jar
  directory = "/Volumes/main/default/libs"

  # A new build is uploaded (under a new versioned path) and swapped in on
  # the cluster before the old file is deleted.
  lifecycle {
    create_before_destroy = true
  }
}

resource "dbgrpc_cluster_libraries" "etl" {
  cluster_id = dbgrpc_cluster.etl.cluster_id
  restart    = var.restart

  library {
    jar = dbgrpc_library_file.etl_jar.path
  }
  library {
    pypi {
      package = "simplejson==3.19.2"
    }
  }
}

data "dbgrpc_cluster" "etl" {
  cluster_id = dbgrpc_cluster.etl.cluster_id
}

data "dbgrpc_clusters" "running" {
  name       = "tf-interop"
  states     = ["RUNNING"]
  depends_on = [dbgrpc_cluster.etl]
}

output "cluster_id" {
  value = dbgrpc_cluster.etl.cluster_id
}

output "jar_path" {
  value = dbgrpc_library_file.etl_jar.path
}

output "cluster_state" {
  value = data.dbgrpc_cluster.etl.state
}

output "running_cluster_ids" {
  value = data.dbgrpc_clusters.running.ids
}
