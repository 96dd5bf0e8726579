variable "source_eni" {}
variable "base_number" {}

resource "aws_ec2_traffic_mirror_session" "this" {
  count                    = 2
  network_interface_id     = var.source_eni
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  session_number           = var.base_number + count.index
}
