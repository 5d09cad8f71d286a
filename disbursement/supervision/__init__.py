"""The supervisor's desk, data layer: pre-aggregated payment facts (models, services) and the selectors the
overview, the maps and the drill-down read (selectors, measures)."""
