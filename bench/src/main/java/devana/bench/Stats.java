package devana.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Order statistics of a sample (nearest rank). */
record Stats(int n, double median, double p90, double p99, double max) {

    static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new Stats(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99),
                sorted.get(sorted.size() - 1));
    }

    private static double rank(List<Double> sorted, double q) {
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    String ms() {
        return n == 0 ? "n/a" : String.format("%,.0f / %,.0f ms (n=%d)", median, p99, n);
    }

    String seconds() {
        return n == 0 ? "n/a" : String.format("%,.2f / %,.2f s (n=%d)", median / 1000, p99 / 1000, n);
    }
}
