import asyncio, sys, tempfile, time
from pathlib import Path
from kasane.settings import load_settings
from kasane.migrations import upgrade
from kasane.core.db import Database
from kasane.core.protection.crypto import set_master_secret
from tests.bench.caseload_import import measure_caseload_import
var = Path(tempfile.mkdtemp(prefix="kasane-cl-"))
url = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else f"sqlite:///{var/'b.db'}"
settings = load_settings(database_url=url, migration_database_url=url, var_dir=var, base_domain="kasane.test", master_key="k"*32, demo=False, secure_cookies=False)
upgrade(settings.migration_database_url)
set_master_secret(settings.master_key)
async def go():
    from kasane.settings import async_url
    db = Database(async_url(url))
    try:
        print(await measure_caseload_import(db, float(sys.argv[2]) if len(sys.argv) > 2 else 1.0))
    finally:
        await db.dispose()
asyncio.run(go())
