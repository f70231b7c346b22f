// Transactions check for Strata (server's TestTxnKafkaJS): a kafkajs
// transactional producer commits 40 messages and aborts 20 on topic kjs;
// a read_committed consumer then reads them. Prints
// "committed <n> read <m>".
// Usage: node txn.js <broker>
const { Kafka, logLevel } = require('kafkajs')

const [broker] = process.argv.slice(2)

async function main () {
  const kafka = new Kafka({ clientId: 'kafkajs-txn', brokers: [broker], logLevel: logLevel.ERROR })
  const producer = kafka.producer({ transactionalId: 'kjs-txn', maxInFlightRequests: 1, idempotent: true })
  await producer.connect()
  const send = async (prefix, n, commit) => {
    const txn = await producer.transaction()
    const messages = []
    for (let i = 0; i < n; i++) messages.push({ value: `${prefix}-${i}`, partition: i % 2 })
    await txn.send({ topic: 'kjs', messages })
    if (commit) await txn.commit()
    else await txn.abort()
  }
  await send('c', 20, true)
  await send('a', 20, false)
  await send('d', 20, true)
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'kjs-reader', sessionTimeout: 6000, heartbeatInterval: 100, maxWaitTimeInMs: 100, readUncommitted: false })
  await consumer.connect()
  await consumer.subscribe({ topic: 'kjs', fromBeginning: true })
  const got = new Set()
  let aborted = 0
  await new Promise((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value.toString()
        if (v.startsWith('a-')) aborted++
        got.add(v)
        if (got.size === 40) resolve()
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  if (aborted > 0) throw new Error(`read ${aborted} aborted messages`)
  console.log(`committed 40 read ${got.size}`)
}

main().catch(err => { console.error(err); process.exit(1) })
