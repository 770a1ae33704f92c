"""The kafka-aws local lab: EC2-like systemd hosts, an Apache-style artifact mirror and a fake EC2 API."""
