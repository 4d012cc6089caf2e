package io.vmflow.relay.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Every refusal a relay can give is a reason code of the contract, so reports and dashboards can count it. */
class RefusalCodesTest {

    @Test
    void everySessionRefusalIsAContractReasonCode() {
        for (SessionBook.Refusal r : SessionBook.Refusal.values()) {
            assertThat(r.code().name()).isEqualTo(r.name());
        }
    }
}
