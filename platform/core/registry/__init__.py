"""The shared resource registry (社会資源), modelled on Open Referral HSDS 3.0."""
