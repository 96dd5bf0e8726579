provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc_traffic_mirror_session" "web" {
  priority                   = 1
  traffic_mirror_source_ids  = ["eni-bp1aaaaaaaaaaaaaaaa"]
  traffic_mirror_target_id   = "eni-bp1tttttttttttttttt"
  traffic_mirror_target_type = "NetworkInterface"
  traffic_mirror_filter_id   = "tmf-bp1ffffffffffffffff"
}

resource "alicloud_vpc_traffic_mirror_session" "db" {
  priority                   = 2
  traffic_mirror_source_ids  = ["eni-bp1bbbbbbbbbbbbbbbb"]
  traffic_mirror_target_id   = "eni-bp1tttttttttttttttt"
  traffic_mirror_target_type = "NetworkInterface"
  traffic_mirror_filter_id   = "tmf-bp1ffffffffffffffff"
}
