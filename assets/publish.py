"""Publishing assets: the serving database, the DuckDB catalog, the case booklet, and one scoped
bundle per scope of ``scopes.yaml``. Each reads the warehouse, calls one core function of
:mod:`warehouse.publish`, and reports what it wrote."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from assets.meta import OWNERS
from assets.resources import COMMIT_KEY, RunSettings, WarehouseResource
from assets.steps import TRANSIENT_RETRY, guarded_step
from transforms import pages, publishing, scope
from transforms.gold import TABLES as GOLD_TABLES
from transforms.scope import Scope
from warehouse.fingerprint import code_fingerprint

# The publishing code (fontTools, psycopg, DuckDB, xlsxwriter: seconds to import) is imported when
# an asset runs, not when the definitions load: its code versions are taken by module name.
SERVING = ("warehouse.publish.serving", "warehouse.publish.serving_pg",
           "warehouse.publish.serving_tables")  # fmt: skip

CST = ZoneInfo("Asia/Shanghai")
GOLD_KEYS = [dg.AssetKey(["gold", name]) for name in GOLD_TABLES]
SILVER_KEYS = [dg.AssetKey(["silver", n]) for n in ("cadre", "supervision_event", "link_review")]
BOOKLET_KEY = dg.AssetKey(["publish", "case_booklet"])
PAGES = (pages, publishing, scope)
COMMON = {"group_name": "publish", "owners": OWNERS, "tags": {"layer": "publish"}}


def booklet_folder(root: Path) -> Path:
    return root / "reports" / "cases"


def bundles_folder(root: Path) -> Path:
    return root / "reports" / "bundles"


@dg.asset(
    key=["publish", "serving_db"], deps=[*GOLD_KEYS, *SILVER_KEYS[:2], COMMIT_KEY], **COMMON,
    kinds={"sqlite", "postgres"}, code_version=code_fingerprint(*SERVING, *PAGES),
    description="Gold, the scoped portraits and the officers' lists in the serving database "
    "(serving.db, or PostgreSQL with row-level security when serving_url is set).",
    retry_policy=TRANSIENT_RETRY,  # the serving server restarting, a dropped connection
)  # fmt: skip
@guarded_step
def serving_db(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: RunSettings
) -> dg.MaterializeResult:
    from warehouse.publish.serving import publish_serving  # noqa: PLC0415 (see SERVING)

    result = publish_serving(
        warehouse.store(), settings.serving_url, settings.serving_schema, datetime.now(CST)
    )
    for line in result.warnings:  # fields whose control characters (NUL …) were stripped
        context.log.warning(line)
    context.log.info(
        f"serving database {result.url}: {result.rows:,} rows in {result.seconds:.1f} s "
        f"({result.rows_per_s:,.0f} rows/s loading); unchanged tables left as they were: "
        f"{', '.join(result.carried) or 'none'}"
    )
    return dg.MaterializeResult(
        metadata={"url": result.url, "rows": dg.MetadataValue.json(result.tables),
                  "dagster/row_count": result.rows, "rows_per_s": round(result.rows_per_s),
                  "carried_over": dg.MetadataValue.json(result.carried)}
    )  # fmt: skip


@dg.asset(
    key=["publish", "catalog"], deps=[*GOLD_KEYS, *SILVER_KEYS, COMMIT_KEY], **COMMON,
    kinds={"duckdb"}, code_version=code_fingerprint("warehouse.publish.catalog"), description="catalog.duckdb: views over the current silver and gold tables.",
)  # fmt: skip
def catalog(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from warehouse.publish.catalog import write_catalog  # noqa: PLC0415 (see SERVING)

    path, views = write_catalog(warehouse.store())
    context.log.info(f"catalog {path}: {len(views)} views")
    return dg.MaterializeResult(metadata={"path": str(path), "views": dg.MetadataValue.json(views)})


@dg.asset(
    key=BOOKLET_KEY, deps=[dg.AssetKey(["gold", "tolerance_case"]), dg.AssetKey(["gold", "cadre_profile"]), COMMIT_KEY],
    **COMMON, kinds={"html", "pdf"}, code_version=code_fingerprint("warehouse.publish.booklet", *PAGES),
    description="典型案例汇编: the de-identified case library as a booklet (HTML and PDF).",
)  # fmt: skip
def case_booklet(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from warehouse.publish.booklet import write_booklet  # noqa: PLC0415 (see SERVING)

    store = warehouse.store()
    result = write_booklet(store, booklet_folder(store.root), datetime.now(CST))
    if result.pdf_note:
        context.log.warning(result.pdf_note)
    return dg.MaterializeResult(
        metadata={
            "path": str(result.path),
            "cases": result.cases,
            "pdf_pages": result.pages or 0,
            "volumes_rendered": dg.MetadataValue.json(result.rendered),
            "unchanged": result.carried,
        }  # fmt: skip
    )


def bundle_asset(chosen: Scope) -> dg.AssetsDefinition:
    """The asset publishing one scope's bundle into ``reports/bundles/<管理权限>-<region>``."""

    @dg.asset(
        key=["publish", f"bundle_{chosen.key}"], deps=[*GOLD_KEYS, SILVER_KEYS[1], BOOKLET_KEY, COMMIT_KEY],
        **COMMON, kinds={"html", "pdf", "excel"}, code_version=code_fingerprint("warehouse.publish.bundle", *PAGES),
        description=f"The bundle of scope {chosen.label} ({chosen.describe()}): pages, PDFs, "
        "Excel and manifest.json.",
    )  # fmt: skip
    def bundle(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        from warehouse.publish.bundle import write_bundle  # noqa: PLC0415 (see SERVING)

        store = warehouse.store()
        booklet = booklet_folder(store.root)
        result = write_bundle(
            store, chosen, bundles_folder(store.root), datetime.now(CST),
            booklet=booklet if booklet.exists() else None,
        )  # fmt: skip
        if result.pdf_note:
            context.log.warning(result.pdf_note)
        for line in result.warnings:  # fields cut or stripped on pages (named, no value)
            context.log.warning(line)
        return dg.MaterializeResult(
            metadata={"path": str(result.path), "cadres": result.cadres, "units": result.units,
                      "files": result.files, "bytes": result.bytes, "unchanged": result.carried}
        )  # fmt: skip

    return bundle


def publish_assets(scopes: list[Scope]) -> list[dg.AssetsDefinition]:
    """The publishing assets: serving database, catalog, booklet, and a bundle per scope."""
    return [serving_db, catalog, case_booklet, *(bundle_asset(s) for s in scopes)]
