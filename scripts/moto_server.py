"""moto's DynamoDB for the tests, made to keep DynamoDB's two promises the product relies on.

moto 5.2.5 serves requests on many threads with no lock around them, so two conditional writes
to one item can both pass their condition, and a failed transaction restores a deep copy of the
whole table taken when it began -- undoing what other threads wrote meanwhile, and costing time
and memory in proportion to the table (20 GB in a 1,000-record fault run). DynamoDB itself makes
each request atomic and isolated. So this server:

* serves one request at a time (one lock around the WSGI app), which makes every request atomic;
* runs TransactWriteItems as check-then-apply: every condition is checked first and, only if
  all hold, every write is applied -- all or nothing, with no table copy;
* answers a Query from the items it can match (the one partition of a table query) instead of
  sorting every item of the table first, which made each Query cost O(n log n) in the table
  (a second per Query at 20,000 items). Query sorts its matches itself afterwards.

Usage: python scripts/moto_server.py HOST PORT
"""

import sys
import threading

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def transact_write_items(self, transact_items):
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen, reasons, writes = set(), [], []
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        table = self.get_table(op["TableName"])
        if op_type == "Put":
            item = op["Item"]
            key = {table.hash_key_attr: item[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = item[table.range_key_attr]
        else:
            key = op["Key"]
        identity = (op["TableName"], str(sorted(key.items())))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        condition = op.get("ConditionExpression")
        current = self.get_item(op["TableName"], key)
        if condition is not None and not get_filter_expression(condition, names, values).expr(current):
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", None))
        else:
            reasons.append((None, None, None))
        writes.append((op_type, op, key, names, values))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    for op_type, op, key, names, values in writes:
        if op_type == "Put":
            self.put_item(op["TableName"], op["Item"])
        elif op_type == "Delete":
            self.delete_item(op["TableName"], key)
        elif op_type == "Update":
            self.update_item(op["TableName"], key, op["UpdateExpression"], names, values)


EVERY_PARTITION = object()
original_query = Table.query
original_all_items = Table.all_items


def query(self, hash_key, *args, **kwargs):
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    self._query_scope = EVERY_PARTITION if index_name or hash_key is None else hash_key
    try:
        return original_query(self, hash_key, *args, **kwargs)
    finally:
        del self._query_scope


def all_items(self):
    scope = self.__dict__.get("_query_scope")
    if scope is None:
        return original_all_items(self)
    partitions = self.items.values() if scope is EVERY_PARTITION else [self.items.get(scope, {})]
    if not self.range_key_attr:
        return [p for p in partitions if p]
    return [item for partition in partitions for item in partition.values()]


class OneAtATime:
    """The WSGI app behind one lock: a request runs alone, start to finish."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.query = query
    Table.all_items = all_items
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, OneAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
