package io.vmflow.runtime.registry;

/** Confluent's compatibility levels. vmflow registers its subjects with {@link #BACKWARD}. */
public enum Compatibility {
    NONE,
    BACKWARD,
    BACKWARD_TRANSITIVE,
    FORWARD,
    FORWARD_TRANSITIVE,
    FULL,
    FULL_TRANSITIVE
}
