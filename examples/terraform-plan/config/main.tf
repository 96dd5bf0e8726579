resource "aws_network_interface" "web" {
  subnet_id = "subnet-0123456789abcdef0"
}

module "mirror" {
  source      = "./modules/mirror"
  source_eni  = aws_network_interface.web.id
  base_number = 32766
}

resource "aws_ec2_traffic_mirror_session" "audit" {
  network_interface_id     = aws_network_interface.web.id
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  session_number           = 32766
  packet_length            = 9000
}
