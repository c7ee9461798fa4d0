/** Reports of checks and watches: text and HTML. */
export { campaignReportHtml, watchReportHtml } from "./html-report.js";
export { formatReport } from "./report-format.js";
