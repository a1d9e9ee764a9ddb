package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

class InboxMessageTest {

    @Test
    void conversationId_isGroupId_whenSentToGroup() {
        InboxMessage fromBob = message("bob", Target.group("team"));
        InboxMessage fromSelf = message("alice", Target.group("team"));

        assertThat(fromBob.conversationId("alice")).isEqualTo("team");
        assertThat(fromSelf.conversationId("alice")).isEqualTo("team");
    }

    @Test
    void conversationId_isRecipient_whenSelfSentTheDirectMessage() {
        InboxMessage message = message("alice", Target.user("bob"));

        assertThat(message.conversationId("alice")).isEqualTo("bob");
    }

    @Test
    void conversationId_isSender_whenSomeoneElseSentTheDirectMessage() {
        InboxMessage message = message("bob", Target.user("alice"));

        assertThat(message.conversationId("alice")).isEqualTo("bob");
    }

    @Test
    void conversationId_isSelf_whenMessagingYourself() {
        InboxMessage message = message("alice", Target.user("alice"));

        assertThat(message.conversationId("alice")).isEqualTo("alice");
    }

    private static InboxMessage message(String from, Target to) {
        return new InboxMessage(1, 10, from, "phone", to, "c-1", 1_764_000_000_000L, TextNode.valueOf("hi"));
    }
}
