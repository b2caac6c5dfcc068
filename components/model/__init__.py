"""The table model: specs, families, stack settings and plans. Imports neither Pulumi nor boto3."""
