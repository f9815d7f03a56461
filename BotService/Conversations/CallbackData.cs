using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Mesh.Bot.Conversations;

/// <summary>
/// Typed callback data of an inline button: a record such as <c>TicketButton(string Action, long Id) : CallbackData("tk")</c>,
/// packed as <c>tk:open:42</c> within Telegram's 64 bytes. Properties may be strings, integers, booleans or enums;
/// <c>:</c> and <c>%</c> inside strings are escaped. Packing a button over 64 bytes throws at once, where it is built.
/// </summary>
public abstract record CallbackData(string Prefix)
{
    public const int MaxBytes = 64;
    const char Separator = ':';

    static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

    /// <summary>The <c>callback_data</c> string; throws <see cref="CallbackDataTooLong"/> over 64 bytes (UTF-8).</summary>
    public string Pack()
    {
        var shape = ShapeOf(GetType());
        // Built in a stack buffer (a keyboard packs one per button, on every menu drawn): only the result is allocated.
        var data = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture, stackalloc char[2 * MaxBytes]);
        data.AppendFormatted(Prefix);
        foreach (var append in shape.Appenders)
        {
            data.AppendFormatted(Separator);
            append(this, ref data);
        }
        var packed = data.ToStringAndClear();
        var bytes = Encoding.UTF8.GetByteCount(packed);
        return bytes <= MaxBytes ? packed : throw new CallbackDataTooLong(GetType().Name, bytes);
    }

    /// <summary>Reads <paramref name="data"/> as a <typeparamref name="T"/>: null when the prefix or the shape differ.</summary>
    public static T? Unpack<T>(string? data) where T : CallbackData => (T?)Unpack(typeof(T), data);

    /// <summary>The prefix a callback data type packs with (<c>tk</c> for <c>TicketButton</c>).</summary>
    public static string PrefixOf<T>() where T : CallbackData => ShapeOf(typeof(T)).Prefix;

    static object? Unpack(Type type, string? data)
    {
        if (string.IsNullOrEmpty(data))
        {
            return null;
        }
        var shape = ShapeOf(type);
        var fields = data.Split(Separator);
        if (fields[0] != shape.Prefix || fields.Length != shape.Properties.Length + 1)
        {
            return null;
        }
        var values = new object?[shape.Properties.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!TryParse(fields[i + 1], shape.Properties[i].PropertyType, out values[i]))
            {
                return null;
            }
        }
        return shape.Constructor.Invoke(values);
    }

    /// <summary>Appends one property's value to the packed text.</summary>
    delegate void Appender(CallbackData owner, ref DefaultInterpolatedStringHandler data);

    /// <summary>
    /// The appender of <paramref name="property"/>: its getter as a typed delegate, so packing reads a value without
    /// reflection or boxing (a keyboard packs one per button, on every menu drawn).
    /// </summary>
    static Appender AppenderOf<TOwner, TValue>(PropertyInfo property) where TOwner : CallbackData
    {
        var get = property.GetMethod!.CreateDelegate<Func<TOwner, TValue>>();
        return (CallbackData owner, ref DefaultInterpolatedStringHandler data) => Append(ref data, get((TOwner)owner));
    }

    // For a value type the JIT drops every case but the type's own (no boxing); a nullable goes through its box.
    static void Append<TValue>(ref DefaultInterpolatedStringHandler data, TValue value)
    {
        switch (value)
        {
            case null:
                break;
            case string s:
                data.AppendFormatted(s.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal));
                break;
            case bool b:
                data.AppendFormatted(b ? '1' : '0');
                break;
            case Enum e:
                data.AppendFormatted(Convert.ToInt64(e, CultureInfo.InvariantCulture));
                break;
            case IFormattable:
                data.AppendFormatted(value); // formatted in place, invariant, when it can be (numbers)
                break;
            default:
                throw new NotSupportedException($"Callback data cannot hold a {value.GetType().Name}.");
        }
    }

    static bool TryParse(string text, Type type, out object? value)
    {
        value = null;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target != type && text.Length == 0)
        {
            return true;
        }
        if (target == typeof(string))
        {
            value = text.Replace("%3A", ":", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);
            return true;
        }
        if (target == typeof(bool))
        {
            value = text == "1";
            return text is "0" or "1";
        }
        if (target.IsEnum)
        {
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && Enum.IsDefined(target, Enum.ToObject(target, number)))
            {
                value = Enum.ToObject(target, number);
                return true;
            }
            return false;
        }
        try
        {
            value = Convert.ChangeType(text, target, CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            return false;
        }
    }

    static Shape ShapeOf(Type type) => Shapes.GetOrAdd(type, static t =>
    {
        // The record's primary constructor: the public one with the most parameters; its parameters, in order, are the fields.
        var constructor = t.GetConstructors().MaxBy(c => c.GetParameters().Length)
            ?? throw new InvalidOperationException($"{t.Name} has no public constructor.");
        var properties = constructor.GetParameters()
            .Select(p => t.GetProperty(p.Name!, BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"{t.Name}: constructor parameter {p.Name} has no property of the same name."))
            .ToArray();
        var defaults = properties.Select(p => p.PropertyType.IsValueType ? Activator.CreateInstance(p.PropertyType) : null).ToArray();
        var prefix = ((CallbackData)constructor.Invoke(defaults)).Prefix;
        if (prefix.Length == 0 || prefix.Contains(Separator, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{t.Name}: the prefix must be non-empty and without '{Separator}'.");
        }
        var appenders = properties
            .Select(p => (Appender)typeof(CallbackData).GetMethod(nameof(AppenderOf), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(t, p.PropertyType).Invoke(null, [p])!)
            .ToArray();
        return new Shape(prefix, constructor, properties, appenders);
    });

    sealed record Shape(string Prefix, ConstructorInfo Constructor, PropertyInfo[] Properties, Appender[] Appenders);
}

/// <summary>A button's callback data would be over Telegram's 64 bytes.</summary>
public sealed class CallbackDataTooLong(string type, int bytes)
    : InvalidOperationException($"Callback data of {type} is {bytes} bytes; Telegram allows {CallbackData.MaxBytes}.")
{
    public int Bytes { get; } = bytes;
}
