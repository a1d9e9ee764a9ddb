package dev.switchboard.server.topic;

import java.util.List;

/**
 * Topic permissions granted to one connection on top of the server's rules: the token's
 * {@code topics} claim ({@code {"subscribe":[patterns], "publish":[patterns]}}), or everything for a
 * development-mode user.
 *
 * @param subscribe patterns the user may subscribe to
 * @param publish   patterns the user may publish on
 * @param all       development mode: every topic, both ways
 */
public record TopicGrants(List<String> subscribe, List<String> publish, boolean all) {
    public static final TopicGrants NONE = new TopicGrants(List.of(), List.of(), false);
    public static final TopicGrants ALL = new TopicGrants(List.of(), List.of(), true);

    public TopicGrants {
        subscribe = List.copyOf(subscribe);
        publish = List.copyOf(publish);
    }

    public boolean maySubscribe(String topic) {
        return all || TopicPattern.anyMatches(subscribe, topic);
    }

    public boolean mayPublish(String topic) {
        return all || TopicPattern.anyMatches(publish, topic);
    }
}
