/** Reports of checks and watches: text, HTML and JUnit XML. */

export { formatFleetReport } from "./fleet-report-format.js";
export { campaignReportHtml, fleetReportHtml, fleetWatchReportHtml, watchReportHtml } from "./html-report.js";
export { checkJunitXml, type JunitContext, watchJunitXml } from "./junit-report.js";
export { formatReport } from "./report-format.js";
