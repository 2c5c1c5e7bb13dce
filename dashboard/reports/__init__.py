"""One report per screen: each takes a `ReportContext` and returns a frozen result that pages,
the wall, the exports and the command line only render (docs/ARCHITECTURE.md)."""
