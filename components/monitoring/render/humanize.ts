/**
 * The annotation template functions of Prometheus (template/template.go: `humanize`,
 * `humanizePercentage`, `humanizeDuration`), so the promtool tests rendered beside the rules
 * can state the exact annotations an alert carries. promtool then checks these ports against
 * the real functions on every run.
 */

/** Go's `%.4g`: 4 significant digits, trailing zeros dropped, exponent form outside 1e-4 ≤ |v| < 1e4. */
export function formatG4(value: number): string {
    if (value === 0) return "0";
    const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(4)))));
    if (exponent < -4 || exponent >= 4) {
        const [mantissa, power] = value.toExponential(3).split("e");
        const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
        const digits = Math.abs(Number(power)).toString().padStart(2, "0");
        return `${trimmed}e${Number(power) < 0 ? "-" : "+"}${digits}`;
    }
    const fixed = value.toPrecision(4);
    return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** Scales by 1000 into SI prefixes (k, M, … or m, u, …), then `%.4g`. */
export function humanize(value: number): string {
    if (value === 0 || !Number.isFinite(value)) return formatG4(value);
    let v = value;
    let prefix = "";
    const [bigger, smaller] = [["k", "M", "G", "T", "P", "E", "Z", "Y"], ["m", "u", "n", "p", "f", "a", "z", "y"]];
    if (Math.abs(v) >= 1) {
        for (const p of bigger) {
            if (Math.abs(v) < 1000) break;
            prefix = p;
            v /= 1000;
        }
    } else {
        for (const p of smaller) {
            if (Math.abs(v) >= 1) break;
            prefix = p;
            v *= 1000;
        }
    }
    return `${formatG4(v)}${prefix}`;
}

export function humanizePercentage(value: number): string {
    return `${formatG4(value * 100)}%`;
}

/** Seconds as `1d 2h 3m 4s`, `3m 4s`, or `4.5s` (4 significant digits below a minute). */
export function humanizeDuration(value: number): string {
    if (value === 0) return "0s";
    if (Math.abs(value) < 1) return `${humanize(value)}s`;
    const sign = value < 0 ? "-" : "";
    const total = Math.trunc(Math.abs(value));
    const [days, hours, minutes, seconds] = [Math.floor(total / 86400), Math.floor(total / 3600) % 24, Math.floor(total / 60) % 60, total % 60];
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatG4(Math.abs(value))}s`;
}

const functions: Readonly<Record<string, (value: number) => string>> = { humanize, humanizePercentage, humanizeDuration };

/**
 * Expands the only template forms Keel's annotations use: `{{ $labels.NAME }}` and
 * `{{ $value | FUNCTION }}` (a bare `$value` prints Go's float formatting, which is not ported). Anything else is refused, so a new construct cannot slip into
 * the rules without the tests learning it.
 */
export function expandAnnotation(template: string, labels: Readonly<Record<string, string>>, value: number | undefined): string {
    return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (whole, inner: string) => {
        const label = /^\$labels\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
        if (label) return labels[label[1]] ?? "";
        const valueUse = /^\$value\s*\|\s*(\w+)$/.exec(inner);
        if (!valueUse) throw new Error(`annotation template ${whole} is not one the rule tests can expand`);
        if (value === undefined) throw new Error(`annotation ${JSON.stringify(template)} uses $value: the test case must give the alert's value`);
        const format = functions[valueUse[1]];
        if (format === undefined) throw new Error(`annotation template function ${valueUse[1]} has no port in humanize.ts`);
        return format(value);
    });
}
