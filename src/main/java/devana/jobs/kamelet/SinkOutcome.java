package devana.jobs.kamelet;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * What devana-jobs-source keeps of handing an event to the rest of the route (a multicast to kamelet:sink, on a copy):
 * only a failure, which comes back so that the event is not marked taken and the publisher stops there. A copy the
 * route stopped ({@code stop}, to drop the event) or changed comes back as nothing: the event was taken, and the source
 * goes on with the events after it.
 */
public final class SinkOutcome implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        return newExchange != null && newExchange.getException() != null ? newExchange : oldExchange;
    }
}
