"""DynamoDB table families as Pulumi components, and the table model they share."""
