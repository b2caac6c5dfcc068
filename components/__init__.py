"""DynamoDB tables as code, in three layers that import one way.

- `components.model`: what a table, a family, a stack's settings and a stack's plan are; no Pulumi, no boto3.
- `components.families`: one module per table family, pure data on the model, and the catalog of them.
- `components.resources`: the Pulumi builder, the only code here that imports Pulumi (used by `__main__.py`).
"""
