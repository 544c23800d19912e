package tether;

/**
 * One received UDP datagram and where it came from.
 *
 * @param payload the message (the datagram's whole payload)
 * @param from the sender, as {@code udp://127.0.0.1:40123}; reply with
 *     {@link DatagramLink#sendTo}
 */
public record Datagram(byte[] payload, String from) {}
