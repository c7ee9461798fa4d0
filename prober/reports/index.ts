/** Reports of checks and watches: text and HTML. */

export { formatFleetReport } from "./fleet-report-format.js";
export { campaignReportHtml, fleetReportHtml, fleetWatchReportHtml, watchReportHtml } from "./html-report.js";
export { formatReport } from "./report-format.js";
