// Types of build-dashboard.mjs for the tests that import it.
export function buildDashboard(): unknown;
export const DASHBOARD_FILE: string;
export function dashboardText(): string;
