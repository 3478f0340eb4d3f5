import CRdKafka
import Foundation
import Switchyard

/// Assignment and revocation: where newly assigned partitions start, and how revoked ones are let go.
extension ConsumerPollLoop {
    func rebalance(_ event: OpaquePointer) {
        let code = rd_kafka_event_error(event)
        let partitions = rd_kafka_event_topic_partition_list(event)
        let ids = partitions.map(Self.partitionIDs) ?? []
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            var skipping: [Int32: Int64] = [:]
            if let partitions, case .timestamp(let microseconds) = options.startPosition {
                skipping = position(partitions, at: microseconds)
            }
            let carried = session.state.withLock { $0.ledger.takeCarried() }
            var resuming: [Int32: ConsumerLedger.Resumption] = [:]
            if let partitions {
                resuming = resume(partitions, after: carried)
            }
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) {
                    logger.error("Kafka assign failed", metadata: ["detail": "\(KafkaErrorMapping.consume(error, "Assigning partitions"))"])
                }
            } else {
                rd_kafka_assign(handle, partitions)
            }
            session.state.withLock { state in
                state.ledger.assign(ids, skipping: skipping, resuming: resuming)
            }
            logger.debug(
                "Kafka partitions assigned",
                metadata: ["topic": "\(topic)", "partitions": "\(ids.sorted())", "resuming": "\(resuming.mapValues(\.next))"]
            )
        default:
            if code != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS {
                logger.warning("Kafka rebalance failed", metadata: ["detail": "\(KafkaErrorMapping.error(code, "Rebalancing"))"])
            }
            // Lost partitions may already belong to another member: committing for them could
            // overwrite the new owner's progress, so only a clean revoke waits for the deliveries out
            // from them and commits.
            if rd_kafka_assignment_lost(handle) == 0 {
                session.state.withLock { $0.ledger.beginRevoking(ids) }
                awaitSettlement(of: ids)
                commitNow(ids)
            }
            session.state.withLock { state in state.ledger.revoke(ids) }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.error("Kafka unassign failed", metadata: ["detail": "\(KafkaErrorMapping.consume(error, "Revoking partitions"))"])
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
            logger.debug("Kafka partitions revoked", metadata: ["topic": "\(topic)", "partitions": "\(ids.sorted())"])
        }
    }

    /// Waits, up to the revoke grace period, until no delivery from `ids` is out with the application,
    /// so that what is being processed now is acked here rather than delivered again to the new owner.
    /// The group's rebalance waits meanwhile; heartbeats go on in librdkafka's own threads.
    private func awaitSettlement(of ids: [Int32]) {
        let deadline = ContinuousClock.now + revokeGracePeriod
        while !session.stopping.isRaised, ContinuousClock.now < deadline, session.state.withLock({ $0.ledger.outstandingCount(in: ids) }) > 0 {
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    /// Positions each partition that has no committed offset at the first record published at or after
    /// `microseconds`, and returns those partitions, which skip any earlier record they still meet.
    ///
    /// The brokers' offset-by-time lookup finds the position when they offer it; otherwise (on the mock
    /// cluster) the partition is read from its beginning and the records before the time are skipped.
    private func position(_ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, at microseconds: Int64) -> [Int32: Int64] {
        let timeout: Int32 = 10_000
        var skipping: [Int32: Int64] = [:]
        RDKafkaPartitionList(copying: partitions).withList { committed in
            let lookedUp = rd_kafka_committed(handle, committed, timeout)
            RDKafkaPartitionList(copying: partitions).withList { times in
                for index in 0..<Int(times.pointee.cnt) {
                    times.pointee.elems[index].offset = microseconds / 1000
                }
                let found = brokerFindsTimestamps ? rd_kafka_offsets_for_times(handle, times, timeout) : RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED
                for index in 0..<Int(partitions.pointee.cnt) {
                    if lookedUp == RD_KAFKA_RESP_ERR_NO_ERROR && committed.pointee.elems[index].offset >= 0 { continue }
                    let byTime = times.pointee.elems[index]
                    let usable = found == RD_KAFKA_RESP_ERR_NO_ERROR && byTime.err == RD_KAFKA_RESP_ERR_NO_ERROR
                    partitions.pointee.elems[index].offset = usable ? byTime.offset : switchyard_offset_beginning
                    skipping[partitions.pointee.elems[index].partition] = microseconds
                }
            }
        }
        return skipping
    }

    /// For the partitions of a new assignment that this consumer made uncommitted progress on before
    /// the rebalance (`carried`), positions each whose committed offset is behind that progress right
    /// after it, and returns those partitions. If the committed offsets cannot be read, nothing is
    /// resumed and the partitions start at their committed offsets, redelivering that progress.
    private func resume(
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        after carried: [Int32: Int64]
    ) -> [Int32: ConsumerLedger.Resumption] {
        guard commits, !carried.isEmpty else { return [:] }
        let read = RDKafkaPartitionList(copying: partitions).withList { committed -> [Int32: Int64?]? in
            let lookedUp = rd_kafka_committed(handle, committed, 10_000)
            guard lookedUp == RD_KAFKA_RESP_ERR_NO_ERROR else {
                logger.warning(
                    "Reading committed offsets failed; partitions start at their committed offsets",
                    metadata: ["topic": "\(topic)", "detail": "\(KafkaErrorMapping.error(lookedUp, "Reading committed offsets"))"]
                )
                return nil
            }
            var offsets: [Int32: Int64?] = [:]
            for index in 0..<Int(committed.pointee.cnt) where committed.pointee.elems[index].err == RD_KAFKA_RESP_ERR_NO_ERROR {
                let offset = committed.pointee.elems[index].offset
                offsets[committed.pointee.elems[index].partition] = offset >= 0 ? offset : nil
            }
            return offsets
        }
        guard let offsets = read else { return [:] }
        let resuming = ConsumerLedger.resumptions(carried: carried, committed: offsets)
        for index in 0..<Int(partitions.pointee.cnt) {
            if let resumption = resuming[partitions.pointee.elems[index].partition] {
                partitions.pointee.elems[index].offset = resumption.next
            }
        }
        return resuming
    }

    private static func partitionIDs(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [Int32] {
        (0..<Int(list.pointee.cnt)).map { list.pointee.elems[$0].partition }
    }
}
