"""Preview digests of the dev stack, written by hand in the format of `pulumi preview --json`.

No preview ran here (the Pulumi CLI cannot be installed in this environment). Each digest follows
pulumi/pulumi `pkg/backend/display/json.go` `ShowPreviewDigest`, which prints
`json.MarshalIndent(&digest, "", "    ")` of `display.PreviewDigest` (`pkg/display/json.go`): the keys in
struct order (`config`, `steps`, `diagnostics`, `duration`, `changeSummary`) with four-space indentation;
each step `op`, `urn`, `provider`, then `diffReasons` / `replaceReasons` (omitted when empty) and
`detailedDiff` (no omitempty: `null` when the step has none). `oldState` / `newState` are left out
(omitempty) to keep the fixtures short. Step ops are the `Op*` constants of `pkg/resource/deploy/step.go`;
`kind` values are `plugin.DiffKind.String()` (`sdk/go/common/resource/plugin/provider.go`); URNs are the
dev stack's as `tests/data/urns/dev.txt` pins them, the root stack's `pulumi:pulumi:Stack::<project>-<stack>`.
`duration` is a Go `time.Duration`, which encodes as nanoseconds.
"""

from __future__ import annotations

from string import Template

STACK_URN = "urn:pulumi:dev::dynamodb-tables::pulumi:pulumi:Stack::dynamodb-tables-dev"
SHOPS_URN = ("urn:pulumi:dev::dynamodb-tables::dynamodbTables:families:ShopImport$aws:dynamodb/table:Table::"
             "shop-import-shops")
PRODUCTS_URN = ("urn:pulumi:dev::dynamodb-tables::dynamodbTables:families:CreatorPlatform$aws:dynamodb/table:"
                "Table::creator-platform-products")
PROVIDER = ("urn:pulumi:dev::dynamodb-tables::pulumi:providers:aws::default_7_0_0::"
            "04da6b54-80e4-46f7-96ec-b56ff0331ba9")

# The root stack's step: json.go keeps it whatever its op (`shouldShow(m, opts) || isRootStack(m)`).
STACK_STEP = Template("""        {
            "op": "same",
            "urn": "${urn}",
            "detailedDiff": null
        }""").substitute(urn=STACK_URN)

# shop-import.shops is missing: the engine creates it.
_CREATE_SHOPS = Template("""        {
            "op": "create",
            "urn": "${urn}",
            "provider": "${provider}",
            "detailedDiff": null
        }""").substitute(urn=SHOPS_URN, provider=PROVIDER)

# creator-platform.products lacks its status-index live: the provider adds the index in place
# (terraform-provider-aws resourceTableUpdate / updateDiffGSI), an `update` with the GSI list and
# the new key attribute as its diff.
UPDATE_PRODUCTS = Template("""        {
            "op": "update",
            "urn": "${urn}",
            "provider": "${provider}",
            "diffReasons": [
                "attributes",
                "globalSecondaryIndexes"
            ],
            "detailedDiff": {
                "attributes[1]": {
                    "kind": "add",
                    "inputDiff": false
                },
                "globalSecondaryIndexes[1]": {
                    "kind": "add",
                    "inputDiff": false
                }
            }
        }""").substitute(urn=PRODUCTS_URN, provider=PROVIDER)

# The same table, where the preview says the engine replaces it: disagrees with a plan of an index build.
_REPLACE_PRODUCTS = Template("""        {
            "op": "replace",
            "urn": "${urn}",
            "provider": "${provider}",
            "diffReasons": [
                "attributes",
                "globalSecondaryIndexes"
            ],
            "replaceReasons": [
                "attributes"
            ],
            "detailedDiff": {
                "attributes[1]": {
                    "kind": "add-replace",
                    "inputDiff": false
                },
                "globalSecondaryIndexes[1]": {
                    "kind": "add",
                    "inputDiff": false
                }
            }
        }""").substitute(urn=PRODUCTS_URN, provider=PROVIDER)

# A table resource the program no longer declares: the engine deletes it.
LEGACY_URN = ("urn:pulumi:dev::dynamodb-tables::dynamodbTables:families:CreatorPlatform$aws:dynamodb/table:Table::"
              "creator-platform-legacy-products")
_DELETE_LEGACY = Template("""        {
            "op": "delete",
            "urn": "${urn}",
            "provider": "${provider}",
            "detailedDiff": null
        }""").substitute(urn=LEGACY_URN, provider=PROVIDER)


def digest(*steps: str, summary: str) -> str:
    return Template("""{
    "config": {
        "aws:region": "us-east-1",
        "dynamodb-tables:environment": "dev"
    },
    "steps": [
${steps}
    ],
    "duration": 4211864583,
    "changeSummary": {
${summary}
    }
}
""").substitute(steps=",\n".join(steps), summary=summary)


# The preview of the plan's own changes: shops created, products updated in place.
AGREES = digest(STACK_STEP, _CREATE_SHOPS, UPDATE_PRODUCTS, summary="""        "create": 1,
        "same": 42,
        "update": 1""")

# Pulumi replaces products, where the plan builds an index in place.
REPLACES_WHAT_THE_PLAN_UPDATES = digest(STACK_STEP, _CREATE_SHOPS, _REPLACE_PRODUCTS, summary="""        "create": 1,
        "replace": 1,
        "same": 42""")

# Pulumi also deletes a table resource the dev stack does not declare.
HOLDS_A_TABLE_THE_PLAN_DOES_NOT_KNOW = digest(STACK_STEP, _CREATE_SHOPS, UPDATE_PRODUCTS, _DELETE_LEGACY,
                                              summary="""        "create": 1,
        "delete": 1,
        "same": 42,
        "update": 1""")

# Pulumi leaves products alone, where the plan builds an index.
LEAVES_ALONE_WHAT_THE_PLAN_UPDATES = digest(STACK_STEP, _CREATE_SHOPS, summary="""        "create": 1,
        "same": 43""")

# A preview of the staging stack, given to a plan of dev.
OF_ANOTHER_STACK = digest(STACK_STEP.replace("urn:pulumi:dev::", "urn:pulumi:staging::").replace(
    "dynamodb-tables-dev", "dynamodb-tables-staging"), summary="""        "same": 44""")
