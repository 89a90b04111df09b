"""Case generators and clinical invariants, shared by the test suite and scripts/invariants_run.py."""
