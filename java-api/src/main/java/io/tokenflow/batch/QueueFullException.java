package io.tokenflow.batch;

import io.tokenflow.TokenflowException;

/** Every slot is busy and the wait queue is at its capacity: try again later (a server answers 429). */
public class QueueFullException extends TokenflowException {
    private static final long serialVersionUID = 1L;

    public QueueFullException(String message) { super(message); }
}
