from sqlalchemy import event
from tests.conftest import Env, login, tenant_client, shared_app
from tests.isolation.routes_cases import make_case


def test_probe(sqlite_env: Env) -> None:
    case = make_case(sqlite_env, "usuki", until="support")
    app = shared_app(sqlite_env.settings)
    seen = []
    event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", lambda c, cur, st, *a: seen.append(st))
    with tenant_client(sqlite_env, "usuki") as c:
        login(c, "caseworker")
        c.get(f"/cases/{case}")
        seen.clear()
        r = c.get(f"/cases/{case}")
        assert r.status_code == 200
    for s in seen:
        print("----", " ".join(s.split())[:300])
    print(len(seen))
