package dev.switchboard.server.topic;

import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.config.ServerConfig;
import java.util.List;

/**
 * Who may subscribe to and publish on a topic, and how much history it keeps: the first
 * {@code topics.rules} entry whose pattern matches decides; the connection's {@link TopicGrants}
 * (token claim, development mode) can allow more, never less.
 */
public final class TopicPolicy {
    private final List<ServerConfig.TopicRule> rules;

    public TopicPolicy(List<ServerConfig.TopicRule> rules) {
        for (ServerConfig.TopicRule rule : rules) {
            if (rule.pattern() == null || rule.pattern().isEmpty() || rule.historySize() < 0) {
                throw new IllegalArgumentException("topics.rules: every rule needs a pattern and a historySize >= 0");
            }
        }
        this.rules = List.copyOf(rules);
    }

    public boolean maySubscribe(Principal principal, String topic) {
        ServerConfig.TopicRule rule = ruleFor(topic);
        return (rule != null && rule.subscribe()) || principal.topicGrants().maySubscribe(topic);
    }

    public boolean mayPublish(Principal principal, String topic) {
        ServerConfig.TopicRule rule = ruleFor(topic);
        return (rule != null && rule.publish()) || principal.topicGrants().mayPublish(topic);
    }

    /** Publications kept for recovery on {@code topic}; 0 when no rule matches. */
    public int historySize(String topic) {
        ServerConfig.TopicRule rule = ruleFor(topic);
        return rule == null ? 0 : rule.historySize();
    }

    private ServerConfig.TopicRule ruleFor(String topic) {
        for (ServerConfig.TopicRule rule : rules) {
            if (TopicPattern.matches(rule.pattern(), topic)) {
                return rule;
            }
        }
        return null;
    }
}
