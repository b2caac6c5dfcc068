"""Policies on IAM resources that grant access to DynamoDB."""
