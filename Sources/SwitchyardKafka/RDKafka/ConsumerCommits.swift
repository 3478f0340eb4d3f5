import CRdKafka
import Switchyard

/// Committing the acked prefix of each partition: asynchronously on the poll loop's timer, and
/// synchronously on revoke and on close.
extension ConsumerPollLoop {
    /// Starts an asynchronous commit of every moved commit point, unless one is in flight; its result
    /// arrives as an offset-commit event on the consumer queue.
    func commitAcked() {
        guard commits else { return }
        let started = session.state.withLock { state -> (number: UInt, points: [ConsumerLedger.CommitPoint])? in
            guard state.commitInFlight == nil else { return nil }
            let points = state.ledger.commitPoints()
            guard !points.isEmpty else { return nil }
            state.lastCommitNumber += 1
            state.commitInFlight = (state.lastCommitNumber, points)
            return (state.lastCommitNumber, points)
        }
        guard let started else { return }
        let list = partitionList(started.points)
        let result = list.withList { rd_kafka_commit_queue(handle, $0, queue.pointer, nil, UnsafeMutableRawPointer(bitPattern: started.number)) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            session.state.withLock { $0.commitInFlight = nil }
            commitFailed(result)
        }
    }

    /// Records the result of an asynchronous commit; a failed one is retried at the next commit.
    func commitFinished(_ event: OpaquePointer) {
        let number = UInt(bitPattern: rd_kafka_event_opaque(event))
        let code = rd_kafka_event_error(event)
        var failed = code
        if code == RD_KAFKA_RESP_ERR_NO_ERROR, let offsets = rd_kafka_event_topic_partition_list(event) {
            for index in 0..<Int(offsets.pointee.cnt) where offsets.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
                failed = offsets.pointee.elems[index].err
            }
        }
        session.state.withLock { state in
            guard let inFlight = state.commitInFlight, inFlight.number == number else { return }
            state.commitInFlight = nil
            if failed == RD_KAFKA_RESP_ERR_NO_ERROR { state.ledger.committed(inFlight.points) }
        }
        if failed != RD_KAFKA_RESP_ERR_NO_ERROR { commitFailed(failed) }
    }

    /// Commits the moved commit points of `ids`, or of every partition, and waits for the result.
    /// A failure is logged; the progress stays in the ledger, to be committed later or carried over.
    func commitNow(_ ids: [Int32]?) {
        guard commits else { return }
        let points = session.state.withLock { $0.ledger.commitPoints(for: ids) }
        guard !points.isEmpty else { return }
        let result = partitionList(points).withList { rd_kafka_commit(handle, $0, 0) }
        if result == RD_KAFKA_RESP_ERR_NO_ERROR {
            session.state.withLock { $0.ledger.committed(points) }
        } else {
            commitFailed(result)
        }
    }

    /// Logs a refused commit: at debug level while the group rebalances, when refusals are expected.
    private func commitFailed(_ code: rd_kafka_resp_err_t) {
        let expected = [RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR__NO_OFFSET].contains(code)
        logger.log(
            level: expected ? .debug : .warning,
            "Kafka offset commit failed; retrying later",
            metadata: ["topic": "\(topic)", "detail": "\(KafkaErrorMapping.error(code, "Committing offsets"))"]
        )
    }

    private func partitionList(_ points: [ConsumerLedger.CommitPoint]) -> RDKafkaPartitionList {
        let list = RDKafkaPartitionList(capacity: points.count)
        for point in points {
            list.add(topic, partition: point.partition, offset: point.offset)
        }
        return list
    }
}
