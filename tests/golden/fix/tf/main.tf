resource "aws_ec2_traffic_mirror_session" "web" {
  network_interface_id     = "eni-0ccccccccccccccc3"
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  session_number           = 5 # first
}

resource "aws_ec2_traffic_mirror_session" "db" {
  network_interface_id     = "eni-0ccccccccccccccc3"
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  session_number           = 6 # duplicate
}

resource "aws_ec2_traffic_mirror_filter" "f" {
  network_services = ["amazon-dns"]
}

resource "aws_ec2_traffic_mirror_filter_rule" "in" {
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  traffic_direction        = "ingress"
  rule_number              = 100
  rule_action              = "accept"
  protocol                 = 6
  source_cidr_block        = "10.1.0.0/16"
  destination_cidr_block   = "0.0.0.0/0"

  destination_port_range {
    from_port = 443
    to_port   = 8443
  }
}
