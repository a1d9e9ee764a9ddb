package dev.switchboard.server.topic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicPatternTest {

    @Test
    void matches_exactNamesAndStars() {
        assertThat(TopicPattern.matches("news", "news")).isTrue();
        assertThat(TopicPattern.matches("news", "newsx")).isFalse();
        assertThat(TopicPattern.matches("*", "anything.at/all")).isTrue();
        assertThat(TopicPattern.matches("room.*", "room.42")).isTrue();
        assertThat(TopicPattern.matches("room.*", "room.")).isTrue();
        assertThat(TopicPattern.matches("room.*", "rooms.42")).isFalse();
        assertThat(TopicPattern.matches("prices.*.eur", "prices.btc.eur")).isTrue();
        assertThat(TopicPattern.matches("prices.*.eur", "prices.btc.usd")).isFalse();
        assertThat(TopicPattern.matches("*.eur", "a.eur.b.eur")).isTrue();
        assertThat(TopicPattern.matches("a*b*c", "aXXbYYc")).isTrue();
        assertThat(TopicPattern.matches("a*b*c", "aXXbYY")).isFalse();
    }

    @Test
    void names_areValidated() {
        assertThat(TopicNames.isValid("scores.live:eu/1@x-y_z")).isTrue();
        assertThat(TopicNames.isValid("")).isFalse();
        assertThat(TopicNames.isValid("has space")).isFalse();
        assertThat(TopicNames.isValid("é")).isFalse();
        assertThat(TopicNames.isValid("x".repeat(128))).isTrue();
        assertThat(TopicNames.isValid("x".repeat(129))).isFalse();
    }
}
