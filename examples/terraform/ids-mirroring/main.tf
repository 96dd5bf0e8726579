# Mirror every interface of an auto-scaled tier to a Zeek sensor behind an NLB.
# This module carries planted mistakes; run `mirrorguard check examples/`.

resource "aws_network_interface" "app" {
  count     = 2
  subnet_id = var.subnet_id
}

resource "aws_network_interface" "zeek" {
  subnet_id = var.subnet_id
}

resource "aws_ec2_traffic_mirror_target" "zeek" {
  network_interface_id = aws_network_interface.zeek.id
}

resource "aws_ec2_traffic_mirror_filter" "all" {
  description = "everything"
}

# One session per app interface: numbers 1 and 2 on distinct ENIs are fine.
resource "aws_ec2_traffic_mirror_session" "app" {
  count                    = length(aws_network_interface.app)
  network_interface_id     = aws_network_interface.app[count.index].id
  traffic_mirror_target_id = aws_ec2_traffic_mirror_target.zeek.id
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.all.id
  session_number           = count.index + 1
  packet_length            = var.snap_length
  virtual_network_id       = var.vni_base + count.index
  tags                     = local.tags
}

# Four sessions on the first app interface: AWS allows three (MG006).
resource "aws_ec2_traffic_mirror_session" "extra" {
  count                    = 4
  network_interface_id     = aws_network_interface.app[0].id
  traffic_mirror_target_id = aws_ec2_traffic_mirror_target.zeek.id
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.all.id
  session_number           = 10 + count.index
}
