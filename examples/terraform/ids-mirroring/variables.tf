variable "subnet_id" {
  type        = string
  description = "Subnet of the app tier and the sensor."
}

variable "snap_length" {
  type    = number
  default = 9216 # MG002: jumbo frame size, but EC2 mirrors at most 8500 bytes
}

variable "vni_base" {
  type    = number
  default = 16777215 # MG003: app[1] gets 16777216, one more than 24 bits hold
}

locals {
  tags = {
    Name  = "zeek-mirror"
    owner = "netsec"
  }
}
