"""The dashboard's query layer: one module per view of SPEC §8.

Every function takes the viewer's `Scope` first, so no view can be built
without its scope filter; each returns a `TableResult` (columns + rows +
paging) that the HTML pages, the JSON API and the CSV export all render.
The modules read the store's projections and archive (store.models) and the
dashboard's own tables, never the rule core.
"""
