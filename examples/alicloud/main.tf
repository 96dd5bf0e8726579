provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc_traffic_mirror_session" "web" {
  priority                    = 1
  traffic_mirror_source_ids   = ["eni-bp1a1b2c3d4e5f6g7h8i"]
  traffic_mirror_target_id    = "eni-bp1j1k2l3m4n5o6p7q8r"
  traffic_mirror_target_type  = "NetworkInterface"
  traffic_mirror_filter_id    = "tmf-bp1s1t2u3v4w5x6y7z8a"
  traffic_mirror_session_name = "web-mirror"
}

# Priorities are unique per region in Alibaba Cloud, whatever the source (MG005).
resource "alicloud_vpc_traffic_mirror_session" "db" {
  priority                    = 1
  traffic_mirror_source_ids   = ["eni-bp1b1b2c3d4e5f6g7h8i"]
  traffic_mirror_target_id    = "eni-bp1j1k2l3m4n5o6p7q8r"
  traffic_mirror_target_type  = "ENI" # MG013: NetworkInterface or SLB
  traffic_mirror_filter_id    = "tmf-bp1s1t2u3v4w5x6y7z8a"
  traffic_mirror_session_name = "db-mirror"
}
