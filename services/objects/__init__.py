"""What a customer links to the portal: personal accounts, contracts (by an operator-reviewed request), tech
connections pushed by grid companies, and the e-receipt setting of each linked account."""
