# The Ctrl-C check of tests/interop/terraform.sh: one cluster against an
# emulator whose lifecycle steps take minutes, so the create (which waits for
# RUNNING) is still in flight when terraform gets SIGINT.

terraform {
  required_providers {
    dbgrpc = {
      source = "example.com/dbgrpc/dbgrpc"
    }
  }
}

variable "host" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

provider "dbgrpc" {
  host  = var.host
  token = var.token
}

resource "dbgrpc_cluster" "slow" {
  cluster_name  = "tf-interop-slow"
  spark_version = "15.4.x-scala2.12"
  node_type_id  = "i3.xlarge"
  num_workers   = 1
}
