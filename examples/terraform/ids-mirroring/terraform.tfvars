subnet_id = "subnet-0123456789abcdef0"
