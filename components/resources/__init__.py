"""The Pulumi builder: a `TablePlan` becomes an `aws.dynamodb.Table`, a family a ComponentResource."""
