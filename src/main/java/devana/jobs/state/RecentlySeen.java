package devana.jobs.state;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cache in front of the database for what was decided about recent ids, bounded: the least recently
 * used entry goes once it holds {@code capacity}. A miss only costs a look at the database, which stays
 * the truth; the bound keeps a stream of new ids (from the API or pushes) from growing the heap.
 */
public final class RecentlySeen<V> {

    private final Map<String, V> entries;

    public RecentlySeen(int capacity) {
        this.entries = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        });
    }

    public V get(String id) {
        return entries.get(id);
    }

    public boolean contains(String id) {
        return entries.containsKey(id);
    }

    public void put(String id, V value) {
        entries.put(id, value);
    }

    public void remove(String id) {
        entries.remove(id);
    }

    public void clear() {
        entries.clear();
    }

    public int size() {
        return entries.size();
    }
}
