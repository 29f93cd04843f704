/**
 * Surge detection and demand forecasts per cell: the cells' surge states and changes, operators'
 * surge settings (surge pricing within caps), the nightly forecasts and their error.
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as surgeRoutes } from "./surge.handlers";
export { onSurgeChanged, surgeSettings, surgingCells } from "./surge.service";
export { cityOfCellWithSurge, type SurgeQuoteTerms } from "./surge-terms";
export { forecastCity, runForecasts } from "./forecast.service";
