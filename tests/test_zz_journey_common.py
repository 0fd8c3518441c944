import json
from tests.helpers import gql

def show(label, obj):
    print(f"\n== {label}: {json.dumps(obj, ensure_ascii=False)[:3000]}")

async def q(client, doc, vars=None, token=None):
    body = await gql(client, doc, vars or {}, token, expect_errors=True)
    return body
