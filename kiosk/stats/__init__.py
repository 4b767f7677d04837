"""Statistics for coordinators: periods, the monthly rollup, the KPI dashboard, exports and the report."""
