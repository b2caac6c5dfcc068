"""DynamoDB guardrails: table, resource-policy and stack policies."""
