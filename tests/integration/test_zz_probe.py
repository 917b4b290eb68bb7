import json
from tests.conftest import Env, login, tenant_client
from tests.integration.test_registry import seeded

def test_probe(sqlite_env: Env) -> None:
    env = seeded(sqlite_env)
    with tenant_client(env, "usuki") as c:
        assert login(c, "registry").status_code == 302
        r = c.get("/registry/export.json")
        open("/tmp/hsdsprobe/export.json", "w").write(r.text)
        out = {}
        for url, kw in [("/api/hsds/services/null%2Cnull", {}), ("/api/hsds/services/abc", {"headers": {"Accept": "application/json"}}),
                        ("/api/hsds/services?format=00", {}), ("/api/hsds/services?page=0", {"headers": {"Accept": "application/json"}}),
                        ("/api/hsds/nothing", {})]:
            r = c.get(url, **kw)
            out[url] = (r.status_code, dict(r.headers), r.text[:300])
        r = c.request("TRACE", "/api/hsds/services")
        out["TRACE"] = (r.status_code, dict(r.headers), r.text[:300])
        r = c.request("POST", "/api/hsds/services")
        out["POST"] = (r.status_code, dict(r.headers), r.text[:300])
    with tenant_client(env, "usuki") as a:
        r = a.get("/api/hsds/services", headers={"Origin": "https://example.org"})
        out["anon"] = (r.status_code, dict(r.headers), r.text[:100])
        r = a.get("/api/hsds/")
        out["root"] = (r.status_code, dict(r.headers), r.text[:400])
    json.dump(out, open("/tmp/hsdsprobe/api.json", "w"), indent=1, ensure_ascii=False)
