#!/usr/bin/env bash
# Mirrors each web server's primary interface to the IDS sensors' load balancer.
# mirrorguard reads the `aws ec2 create-traffic-mirror-session` command lines of scripts.
set -euo pipefail

TARGET_ID=tmt-0123456789abcdef0
FILTER_ID=tmf-0123456789abcdef0
PACKET_LENGTH=9216            # planted: MG002 (jumbo frames do not fit: 1..8500)

for eni in eni-0a1b2c3d4e5f60718 eni-0a1b2c3d4e5f60719; do
  aws ec2 create-traffic-mirror-session \
    --network-interface-id "$eni" \
    --traffic-mirror-target-id "$TARGET_ID" \
    --traffic-mirror-filter-id "$FILTER_ID" \
    --session-number 1 \
    --packet-length "$PACKET_LENGTH" \
    --tag-specifications 'ResourceType=traffic-mirror-session,Tags=[{Key=team,Value=netsec}]'
done
